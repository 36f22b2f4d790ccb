# x=do
FROM scratch
RUN e—ßÏsyntx=coadkeÿÿÿÿÿÿÿÿÿÿÿr=true
FROM r/docki‹teşr