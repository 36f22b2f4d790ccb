# yntax=docker/dPckerfile:1
# escape=\
#
# d=0644 <<EOF etp.a/pcconf
grhocret,id=s,required --mount=typ›Â‹eetS b
RUN Ú-mo												 tS b
RUNecret,				th