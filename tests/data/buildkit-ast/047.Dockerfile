#rU\N
   ROM  