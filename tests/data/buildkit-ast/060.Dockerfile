# synt																																																																																					TING" > bin/greet
	chmod 0754 bin/greet
	EOT
COPY --chmod=0644 <<EOF etc/app.conf
greeting=${GREETING}
EOF

FROM ${BASn=1000:FROM --platfOrm=li1000 /opt/app /opt/app
ENV PATH=/opt/a:$PATargH
USER 1000:10nux/a“›type=tmpfs,si0|
EXPOSE 80ze=0mpyt/t8