{
  "targets": [
    {
      "target_name": "mapped_file",
      "sources": ["mapped-file.c"],
      "cflags": ["-O2"]
    }
  ]
}
