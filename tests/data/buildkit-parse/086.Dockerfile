FROM --pla?form=amd……foÿÿÿ/y0z
