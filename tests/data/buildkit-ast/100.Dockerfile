FROM %"tccaÿÿÿÿÿÿÿ:shr""""""""""""


  \wo bin/greet
	EOT
COPY --chmod=0644 <<EOF etc/app.conf`greÿÿÿÿÿÿÿÿÿÿÿÿÿÿ"""""""""""""""""""""""""k"""""""eting""""""""=${GREETINRY--retE"""