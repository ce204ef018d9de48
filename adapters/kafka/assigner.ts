import type { Assignment, PartitionAssigner } from 'kafkajs';

type KafkaModule = typeof import('kafkajs');

/**
 * Round-robin over the members subscribed to each topic. kafkajs's own assigner spreads the
 * leader's topics over all members, so in a group whose members subscribe to different topics
 * some partitions would reach members that drop them, and others nobody.
 *
 * @example
 * kafka.consumer({ groupId, partitionAssigners: [bySubscription(lib), lib.PartitionAssigners.roundRobin] });
 */
export function bySubscription(lib: KafkaModule): PartitionAssigner {
  const { MemberMetadata, MemberAssignment } = lib.AssignerProtocol;
  const name = 'EventwireRoundRobin';
  return ({ cluster }) => ({
    name,
    version: 0,
    protocol: ({ topics }) => ({ name, metadata: MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) }),
    async assign({ members }) {
      const wants = members
        .map(({ memberId, memberMetadata }) => ({ memberId, topics: MemberMetadata.decode(memberMetadata)?.topics ?? [], plan: {} as Assignment }))
        .sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
      const topics = [...new Set(wants.flatMap((member) => member.topics))].sort();
      await cluster.addMultipleTargetTopics(topics); // the leader may not know the others' topics
      let turn = 0;
      for (const topic of topics) {
        const takers = wants.filter((member) => member.topics.includes(topic));
        for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
          const { plan } = takers[turn++ % takers.length] as (typeof takers)[number];
          (plan[topic] ??= []).push(partitionId);
        }
      }
      return wants.map(({ memberId, plan }) => ({ memberId, memberAssignment: MemberAssignment.encode({ version: 0, assignment: plan, userData: Buffer.alloc(0) }) }));
    },
  });
}
