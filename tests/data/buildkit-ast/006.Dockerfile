FRQÿÿÿÿÿÿÿcmdscm/gpu=al-ES 
\
RRUN 1aE
\