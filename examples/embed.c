/* embed.c - visionbatch in another program: describe every image of a folder.
 *
 *     cc embed.c $(pkg-config --cflags --libs visionbatch) -o embed
 *     ./embed http://127.0.0.1:8080/v1 photos/
 *
 * Prints one line per image (its id, "ok" or why it failed, the answer) and the totals.
 * The key, when the server wants one, comes from OPENAI_API_KEY. */
#include <visionbatch.h>

#include <stdio.h>
#include <stdlib.h>

/* Called on this thread once per image; r and its strings live only during the call. */
static void on_result(const vb_result_t *r, void *userdata)
{
    (void)userdata;
    printf("%s\t%s\t%s\n", r->id, r->status == VB_STATUS_OK ? "ok" : r->error_kind,
           r->status == VB_STATUS_OK ? r->response : r->error_message);
}

int main(int argc, char **argv)
{
    char err[512];
    if (argc != 3) {
        fprintf(stderr, "usage: %s BASE_URL FOLDER\n", argv[0]);
        return 2;
    }
    if (vb_global_init(argv[0], err, sizeof err) != 0) {
        fprintf(stderr, "embed: %s\n", err);
        return 2;
    }
    vb_options_t o;
    vb_options_init(&o);
    o.base_url = argv[1];
    o.api_key = getenv("OPENAI_API_KEY");
    o.prompt = "Describe this product in one sentence.";
    vb_summary_t s;
    vb_run_status_t rs = VB_RUN_CONFIG;
    vb_job_t *job = vb_job_new(&o, err, sizeof err);
    if (job && vb_job_add_input(job, argv[2], err, sizeof err) == 0)
        rs = vb_job_run(job, on_result, NULL, &s, err, sizeof err);
    if (rs != VB_RUN_ALL_OK && rs != VB_RUN_SOME_FAILED)
        fprintf(stderr, "embed: %s\n", err);
    if (rs != VB_RUN_CONFIG)
        printf("visionbatch %s: %ld images, %ld ok, %ld failed, %.1f images/s, limited by %s\n",
               vb_version(), s.images, s.ok, s.failed, s.images_per_s,
               vb_summary_limited_by(&s) ? vb_summary_limited_by(&s) : "nothing");
    vb_job_free(job);
    vb_global_cleanup();
    return rs == VB_RUN_ALL_OK ? 0 : 1;
}
