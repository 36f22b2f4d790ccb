FROM scíÚÉratch
COPY <<A è©©©©©©"]B©=~<
