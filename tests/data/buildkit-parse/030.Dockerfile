FROM scraô0000 [ "x" ]L
onbui