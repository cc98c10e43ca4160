// swiftmultiurisrc-bench: the benchmark command (P1-P6); being written.
print("swiftmultiurisrc-bench: not written yet")
