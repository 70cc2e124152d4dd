// The blob store's durable-write pattern without filestore, for scripts/bench-http.sh: each of W writer
// threads repeatedly makes a new folder, writes SIZE bytes to a temporary file, fsyncs it, renames it into
// the folder, and fsyncs the folder and its parent. Prints one JSON line: files/s over SECONDS.
//   disk_pattern DIR [writers=16] [seconds=10] [size=4096]
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *root;
static int seconds = 10, size = 4096;
static atomic_long done;
static atomic_int stop;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void fsync_path(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0 || fsync(fd) != 0) { perror(path); exit(1); }
  close(fd);
}

static void *writer(void *arg) {
  long w = (long)arg;
  char parent[4096], dir[4096], tmp[4096], target[4096];
  char *buf = malloc(size);
  memset(buf, 'x', size);
  snprintf(parent, sizeof parent, "%s/files", root);
  for (long i = 0; !atomic_load(&stop); i++) {
    snprintf(dir, sizeof dir, "%s/w%ld_%ld", parent, w, i);
    snprintf(tmp, sizeof tmp, "%s/.tmp/w%ld_%ld", root, w, i);
    snprintf(target, sizeof target, "%s/original", dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) { perror(tmp); exit(1); }
    if (write(fd, buf, size) != size || fsync(fd) != 0) { perror("write/fsync"); exit(1); }
    close(fd);
    if (mkdir(dir, 0755) != 0) { perror(dir); exit(1); }
    if (rename(tmp, target) != 0) { perror("rename"); exit(1); }
    fsync_path(dir);
    fsync_path(parent);
    atomic_fetch_add(&done, 1);
  }
  free(buf);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: disk_pattern DIR [writers] [seconds] [size]\n"); return 64; }
  root = argv[1];
  int writers = argc > 2 ? atoi(argv[2]) : 16;
  if (argc > 3) seconds = atoi(argv[3]);
  if (argc > 4) size = atoi(argv[4]);
  char path[4096];
  snprintf(path, sizeof path, "%s/files", root);
  mkdir(root, 0755); mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/.tmp", root);
  mkdir(path, 0755);
  pthread_t t[256];
  if (writers < 1 || writers > 256) return 64;
  double start = now();
  for (long i = 0; i < writers; i++) pthread_create(&t[i], NULL, writer, (void *)i);
  sleep(seconds);
  atomic_store(&stop, 1);
  for (int i = 0; i < writers; i++) pthread_join(t[i], NULL);
  double elapsed = now() - start;
  printf("{\"writers\":%d,\"seconds\":%.3f,\"size\":%d,\"files\":%ld,\"files_per_s\":%.1f}\n", writers, elapsed, size,
         atomic_load(&done), atomic_load(&done) / elapsed);
  return 0;
}
