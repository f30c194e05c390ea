/* sim_models.h - which models the simulator serves (--models) and its model listings:
 * GET /v1/models as OpenAI's or Anthropic's list, GET /v1beta/models/MODEL as Gemini's
 * model. Pure. */
#ifndef SIM_MODELS_H
#define SIM_MODELS_H

#include <stdbool.h>

/* Whether model is served: with a --models list (comma-separated, list not NULL) only
 * the models it names; without one every model (each protocol's own name rules apply
 * elsewhere). */
bool sim_models_serves(const char *list, const char *model);

/* The body of GET /v1/models: OpenAI's {"object":"list","data":[{id,object,created,
 * owned_by}]} or, anthropic set, Anthropic's {"data":[{type,id,display_name,created_at}],
 * "has_more":false,"first_id","last_id"}; the --models list, or the default names when
 * list is NULL. A malloc'd string, NULL when out of memory. */
char *sim_models_list_json(const char *list, bool anthropic);

/* The body of GET /v1beta/models/MODEL (Gemini's Model: name, displayName,
 * supportedGenerationMethods). A malloc'd string, NULL when out of memory. */
char *sim_models_gemini_json(const char *model);

/* The body of GET /v1/models/MODEL: Anthropic's ModelInfo {type, id, display_name,
 * created_at} (anthropic) or OpenAI's Model {id, object, created, owned_by}. NULL when out
 * of memory. */
char *sim_models_one_json(const char *model, bool anthropic);

#endif
