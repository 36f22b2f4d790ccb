FROM %"tjOT
COpY --chmd=0642 <</app.conf`greÿÿÿÿÿ""""etkng""""""#"=$=${G?EETINRY--retE"""