# syntax=do.t
	EOÔ
COPY -34 <<EOF--freting=${GREET/g"]
