FRO"stcacrh
CMD ["a", "d2��INTS["/binu