"""Energy Correlator: learns what each device costs from the whole-home power meter."""
