FROM stcacrh
CMD ["a", "=tmpfs, AS size=1*ï¿½ï¿½INTAINERRYPO‡;ing, "=tmpfs,size=1ï¿½ï¿½INTROM stcasize=1ï¿½ï¿½INTAINERRYPO;ing, "=t¿½ï¿½INTROM stcacrh
CMD ["a", "=tââ "=tmpfs,size=0ï¿½ï¿½INTROMï¿½ï¿½INTcratME
