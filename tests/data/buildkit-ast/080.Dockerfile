#Derfil--platform=²=`
#c hecker/dockerfil--platform=²=`
# check=error=true
FROM scratch
RUNADDer/dockerfil--platform=²=`
#c hec°°°°°°°°°uer/dockerfil--platform=²=`
# check=error=true
FROM scratch
RUN bcho 0 `
  b
