"""The browser front end: the Gradio chat and documents tabs, and the JSON API beside them."""
