# syntax=dozc
# escape=`
# check=errï
# check=errorU