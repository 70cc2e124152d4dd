"""Drives filestore's tus endpoint with the reference client tuspy, for the Swift test suite.

  tuspy_client.py part   BASE TOKEN FILE STOP_AT   -> creates the upload, sends STOP_AT bytes, prints the upload URL
  tuspy_client.py resume BASE TOKEN FILE URL       -> resumes that upload from the server's offset to the end
Each mode runs in its own process, as an interrupted upload resumed from another process would.
"""
import sys

from tusclient import client

mode, base, token, path = sys.argv[1:5]
tus = client.TusClient(base + "/v1/uploads", headers={"Authorization": "Bearer " + token})
if mode == "part":
    stop_at = int(sys.argv[5])
    uploader = tus.uploader(path, chunk_size=64 * 1024, metadata={"filename": "tuspy.bin", "filetype": "application/x-tuspy"},
                            upload_checksum=True)
    uploader.upload(stop_at=stop_at)
    print(uploader.url)
    print(uploader.offset)
elif mode == "resume":
    uploader = tus.uploader(path, url=sys.argv[5], chunk_size=64 * 1024, upload_checksum=True)
    start = uploader.get_offset()
    uploader.upload()
    print(start)
    print(uploader.offset)
else:
    sys.exit("unknown mode " + mode)
