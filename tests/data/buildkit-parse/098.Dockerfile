FROM“““““ents --ex)lud“““““““““““““““““““Ú“““““““““““““““““e=*.md a b/
ADDy /z
