eia-signatures: 1
signatures:
  - key: b668d41392b472580e3bda19a62ea2251af042b5cc7602a588f9da7ce7593c5f
    algorithm: ed25519
    signature: s0IrVmIYCQP+GNMKQgHYkdw8gE4jlRd6h2d9kpXVFQ12qAvEY8U7BjglDNFhsa3KVLALdhfqksoq+PdPnCI4Bw==
