#x=d    
2