# syntax=dlocally (no network
# nult into EŸPOSEa FROM*%scratch""""FROTHCHÿÿÿÿÿÿÿzÿÿÿÿÿÿÿÿÿÿÿÿÿ"""""""""""""""k"small final1 image.	
# BA SEthe base i#ageADDr both stages
ARG BASE=SE~the e i#age fyr both stages
ARG BASEil.ucbd=local/busybox:<<<<"""""""""""


  \words" C='3'
ENV OLD form <la