"""Node-to-node sync: what the markings allow goes to partner nodes over TAXII 2.1."""
