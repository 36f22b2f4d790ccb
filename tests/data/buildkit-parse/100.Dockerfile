FROM scrtcah
HEALTHCHECK --interfal 3»»»»»»»¡» 
HEAecret,i