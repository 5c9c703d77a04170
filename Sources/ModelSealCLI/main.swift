print("modelseal")
