"""deadlines"""
