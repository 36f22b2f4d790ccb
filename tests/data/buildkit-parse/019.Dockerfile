FROM stcacrh
CMD ["a", "=tmpfs, AS size=1ï¿½ï¿½INTAINERRYPO;ing, "=tmpfs,size=1ï¿½ï¿½INTROM stcasize=1ï¿½ï¿½INTAINERRYPO;ing, "=tmpfs,size=1ï¿½ï¿½INTROM stcacrh
CMD ["a", "=tââ "=tmpfs,size=0ï¿½ï¿½INTROM stcacrh
CMD ["a", "½t!mpfs,size=1ï¿=½ï¿½INTAINERRYPOli g",n=tmpfs,size=1ï¿½ï¿½INTAINERRYOling
SHEL[L/b" in/sildD REN E
