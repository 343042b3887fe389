eia-signatures: 1
signatures: []
