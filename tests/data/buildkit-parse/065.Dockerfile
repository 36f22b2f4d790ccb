FROÍ --plhmoexclude=*.% a b/
ADD ---netwo-meet-git[alp://x/y /z
