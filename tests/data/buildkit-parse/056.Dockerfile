FROM vybox AS b
RUN --mount=type=secret,id=s,<<EOFrequиииииииииииииии(''''''#ииииииии!!!!!!!!!!!!!!!!!!z
