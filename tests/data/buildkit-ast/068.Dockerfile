FROFROMra;tch
EN ÿAÿÿ	B
RUN 3<<XVOLUME 3M-ÿÿÿM-ÿÿÿÿÿÿÿÿÿÿÿ4 8000-80cèown=801
