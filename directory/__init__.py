"""The directory: service categories, the territory's communes, associations and their coverage."""
