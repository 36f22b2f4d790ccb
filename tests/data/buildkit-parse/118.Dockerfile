*****HEALTEALHCckerfil(FRtch
COPY <A< <<-"\u+615** sy