******************HEALTEALHCckerfilFRtch
COPY <<A <<-"\u+000** sy