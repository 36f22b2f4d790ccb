Fr --nupàààÿÿÿ
