# syntaOF
m.ß“›	–
”Ò s?EE