/*
 * switch_amd64.S — goroutine context switch; mirrors gogo/mcall in
 * runtime/asm_amd64.s.
 *
 * Only what the System V ABI says survives a call is saved: rbx, rbp,
 * r12-r15, the MXCSR and the x87 control word. Everything else is
 * caller-saved, so a switch costs a few pushes and pops and never a system
 * call (swapcontext makes a sigprocmask call on every switch).
 *
 * The code lives in section rt_text so the preemption signal handler can
 * tell runtime code (never preempted asynchronously) from user code.
 */
	.section rt_text, "ax", @progbits

/* void rt_swapcontext(struct gobuf *from, struct gobuf *to) */
	.globl	rt_swapcontext
	.type	rt_swapcontext, @function
	.p2align 4
rt_swapcontext:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	subq	$8, %rsp
	.cfi_adjust_cfa_offset 8
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	%rsp, (%rdi)
	movq	(%rsi), %rsp
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	rt_swapcontext, .-rt_swapcontext

/*
 * rt_gotrampoline: first code a new goroutine runs. gostartcall leaves the
 * struct g pointer in r12 and rbp = 0, so the frame-pointer chain ends here
 * and DWARF unwinders stop too (rip is undefined).
 */
	.globl	rt_gotrampoline
	.type	rt_gotrampoline, @function
	.p2align 4
rt_gotrampoline:
	.cfi_startproc
	.cfi_undefined rip
	xorl	%ebp, %ebp
	movq	%r12, %rdi
	call	rt_goentry
	ud2
	.cfi_endproc
	.size	rt_gotrampoline, .-rt_gotrampoline

	.section .note.GNU-stack, "", @progbits
