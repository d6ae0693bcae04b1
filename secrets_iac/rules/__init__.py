"""One home for each rule the config, the planner and the builders share (AWS, Kubernetes, durations, keys).

Every other module imports these; none defines its own copy of a pattern.
"""
