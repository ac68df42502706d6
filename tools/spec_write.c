/* SPDX-License-Identifier: ISC */
/*
 * spec_write.c - the generated tables of docs/PROTOCOL.md, as Markdown,
 * from the library's protocol tables (framework/proto/proto.c).  Part of the
 * privsep-spec tool, not of the library: the library keeps the tables
 * (its checks read their numbers there), this file turns them into the
 * spec's Markdown.
 */
#include <inttypes.h>
#include <string.h>

#include "proto.h"
#include "spec_write.h"
#include "wire.h"

static void fmt_len(FILE *f, uint32_t v)
{
	if (v == PROTO_LEN_RECORD)
		fputs("limit - 16", f);
	else if (v == PROTO_LEN_RECORD - PROTO_REPLY_FIXED)
		fputs("limit - 20", f);
	else
		fprintf(f, "%" PRIu32, v);
}

int spec_write(FILE *f, const char *section)
{
	if (!strcmp(section, "constants")) {
		fputs("| name | value |\n|---|---|\n", f);
		fprintf(f, "| magic | 0x%04x |\n", PRIVSEP_WIRE_MAGIC);
		fprintf(f, "| version | %u |\n", PRIVSEP_WIRE_VERSION);
		fprintf(f, "| header size | %u bytes |\n", PRIVSEP_HDR_LEN);
		fprintf(f, "| fds per record, at most | %u |\n", PRIVSEP_MAX_FDS);
		fprintf(f, "| record limit, default | %u bytes |\n", PRIVSEP_MSG_MAX_DEFAULT);
		fprintf(f, "| record limit, configurable range | %u..%u bytes |\n",
		        PRIVSEP_MSG_MAX_MIN, PRIVSEP_MSG_MAX_LIMIT);
		fprintf(f, "| framework types | 0x00000001..0x%08x |\n", PRIVSEP_TYPE_APP_MIN - 1);
		fprintf(f, "| application types | 0x%08x..0xffffffff |\n", PRIVSEP_TYPE_APP_MIN);
		fprintf(f, "| error detail, at most | %u bytes with its NUL |\n",
		        PRIVSEP_DETAIL_MAX);
		fprintf(f, "| PERMIT_DROP types, at most | %u |\n", PROTO_PERMIT_DROP_MAX);
		fprintf(f, "| records of one worker's turn, at most (section 9) | %u |\n",
		        PROTO_TURN_RECORDS);
		fprintf(f, "| bulk bytes a turn weighs one record more for (section 9) | %u |\n",
		        PROTO_TURN_BULK_BYTES);
		return 0;
	}
	if (!strcmp(section, "header")) {
		fputs("| offset | size | field | meaning |\n|---|---|---|---|\n", f);
		for (size_t i = 0; i < proto_nfields; i++)
			fprintf(f, "| %u | %u | %s | %s |\n", proto_fields[i].off,
			        proto_fields[i].size, proto_fields[i].name,
			        proto_fields[i].meaning);
		return 0;
	}
	if (!strcmp(section, "types")) {
		fputs("| type | name | from | kind | payload bytes | fds | payload | reply body |\n"
		      "|---|---|---|---|---|---|---|---|\n",
		      f);
		for (size_t i = 0; i < proto_nmsgs; i++) {
			const struct proto_msg *m = &proto_msgs[i];
			fprintf(f, "| 0x%04" PRIx32 " | %s | %s | %s | ", m->type, m->name,
			        proto_dir_sender(m->dir),
			        m->type == PRIVSEP_T_REPLY ? "reply"
			        : (m->flags & PRIVSEP_H_CALL)
			            ? ((m->flags & PRIVSEP_H_ONCE) ? "call, once" : "call")
			        : (m->flags & PRIVSEP_H_ONCE) ? "one-way, once"
			                                      : "one-way");
			fmt_len(f, m->min_len);
			fputs("..", f);
			fmt_len(f, m->max_len);
			fprintf(f, " | %u..%u | %s | %s |\n", m->min_fds, m->max_fds, m->payload,
			        m->reply);
		}
		return 0;
	}
	if (!strcmp(section, "violations")) {
		fputs(
		    "| order | name | checked at | the record is a violation when |\n|---|---|---|---|\n",
		    f);
		for (size_t i = 0; i < proto_nviols; i++)
			fprintf(f, "| %zu | `%s` | %s | %s |\n", i + 1, proto_viols[i].name,
			        proto_viols[i].stage, proto_viols[i].rule);
		return 0;
	}
	return -1;
}
