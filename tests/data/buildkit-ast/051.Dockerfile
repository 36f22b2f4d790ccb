FROMsc ratÿÿÿÿÿÿÿÿÿÿch
                                                             #