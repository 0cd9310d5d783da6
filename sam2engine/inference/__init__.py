"""Predictors: single images and streaming video sessions."""
