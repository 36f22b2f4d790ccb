# synt													frm=lm¹/K -m3
COPY --from=b --chogn=1:1 --c