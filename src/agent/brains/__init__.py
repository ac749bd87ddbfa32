"""How a customer message is understood and a reply phrased: the llm and rules brains."""
