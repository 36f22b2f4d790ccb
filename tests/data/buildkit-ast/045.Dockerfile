-Ÿfrom=FROM scratch
HEALTHCHECK --intervalSHELLrt-perioü=VOLstart-interv#""""""""""""""""""""""""""""""""""""""""""""""""""""""""m=FROMrt-interv""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""""aSTOPSIGNALr"""""""""""HEALTHCHECK"""""""--link-2parents --ex           m                3 CMD curl -f
