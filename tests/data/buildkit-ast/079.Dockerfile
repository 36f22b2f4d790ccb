#syntan="a 
