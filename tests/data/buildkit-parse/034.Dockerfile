`
label b
