FROM -mpdype=s --exclude=*.md a b/
ADD --checïèum=sFROM scratcha512:00 --keep-gh
Hit-dir --uEAnL