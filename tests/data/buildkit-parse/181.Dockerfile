FROM stcaiption="a oen-arch
CMD [", "\ud600"AINERRYINTAe\\\\\\\\\\\\\\\\\\+\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\ile \\\\\\\\\\\\\\\\\\volr\\\"
