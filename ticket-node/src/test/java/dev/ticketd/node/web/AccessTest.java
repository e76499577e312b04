package dev.ticketd.node.web;

import dev.ticketd.node.auth.Role;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AccessTest {

    @Test
    void agentsAndAdminsUseStaffRoutesButOnlyAdminsUseAdminRoutes() {
        assertThat(Access.STAFF.allows(Role.AGENT)).isTrue();
        assertThat(Access.STAFF.allows(Role.ADMIN)).isTrue();
        assertThat(Access.ADMIN.allows(Role.AGENT)).isFalse();
        assertThat(Access.ADMIN.allows(Role.ADMIN)).isTrue();
    }
}
